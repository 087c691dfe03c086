/** The inventory: every number the principal may see, with filters, tabs and actions. */
import { NumbersTable } from '../components/NumbersTable';
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
      <NumbersTable variant="inventory" />
    </>
  );
}
