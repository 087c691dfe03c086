/** The few icons the portal needs, inline (no icon package). Decorative unless labelled. */
import type { SVGProps } from 'react';

const base = (props: SVGProps<SVGSVGElement>) => ({
  width: 16,
  height: 16,
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 2,
  strokeLinecap: 'round' as const,
  strokeLinejoin: 'round' as const,
  ...props,
});

function Labelled({ label, children, ...props }: SVGProps<SVGSVGElement> & { label?: string }) {
  return (
    <svg
      {...base(props)}
      {...(label ? { role: 'img', 'aria-label': label } : { 'aria-hidden': true })}
    >
      {label ? <title>{label}</title> : null}
      {children}
    </svg>
  );
}

export const LockIcon = (p: SVGProps<SVGSVGElement> & { label?: string }) => (
  <Labelled {...p}>
    <rect x="5" y="11" width="14" height="10" rx="2" />
    <path d="M8 11V7a4 4 0 0 1 8 0v4" />
  </Labelled>
);

export const PendingIcon = (p: SVGProps<SVGSVGElement> & { label?: string }) => (
  <Labelled {...p}>
    <circle cx="12" cy="12" r="9" />
    <path d="M12 7v5l3 3" />
  </Labelled>
);

export const DotsIcon = (p: SVGProps<SVGSVGElement> & { label?: string }) => (
  <Labelled {...p}>
    <circle cx="5" cy="12" r="1" />
    <circle cx="12" cy="12" r="1" />
    <circle cx="19" cy="12" r="1" />
  </Labelled>
);

export const StarIcon = (p: SVGProps<SVGSVGElement> & { label?: string }) => (
  <Labelled {...p}>
    <path d="M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1-4.4-4.3 6.1-.9z" />
  </Labelled>
);
