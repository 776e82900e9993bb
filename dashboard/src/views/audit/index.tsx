import { Empty } from '../../ui'

export default function AuditView() {
  return <Empty title="Not built yet" />
}
