import { Empty } from '../../ui'

export default function SecurityView() {
  return <Empty title="Not built yet" />
}
