import { Empty } from '../../ui'

export default function MembersView() {
  return <Empty title="Not built yet" />
}
