/** The inventory: every number the principal may see, with filters, tabs and actions. */
import { Button } from '@mantine/core';
import { NumbersTable } from '../components/NumbersTable';
import { navigate } from '../router';
import { PageHeader } from '../components/common';
import { useSession } from '../auth';

export function NumbersPage() {
  const session = useSession();
  return (
    <>
      <PageHeader
        title="Numbers"
        description={
          session.isOperator
            ? 'Every number in the inventory. Right-click a number, or select several, to act on them.'
            : `The numbers of ${session.me.customer?.name ?? 'your organisation'}.`
        }
      />
      <NumbersTable
        variant="inventory"
        extraActions={
          session.isOperator ? (
            <>
              {session.can('write') ? (
                <Button
                  size="xs"
                  variant="default"
                  component="a"
                  href="/import"
                  onClick={(e) => {
                    e.preventDefault();
                    navigate('/import');
                  }}
                >
                  Import CSV
                </Button>
              ) : null}
              <Button size="xs" variant="default" component="a" href="/api/v1/routing/sbc" download>
                SBC dial plan
              </Button>
            </>
          ) : null
        }
      />
    </>
  );
}
