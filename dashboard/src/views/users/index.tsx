import { Empty } from '../../ui'

export default function UsersView() {
  return <Empty title="Not built yet" />
}
