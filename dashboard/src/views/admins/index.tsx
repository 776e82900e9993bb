import { Empty } from '../../ui'

export default function AdminsView() {
  return <Empty title="Not built yet" />
}
