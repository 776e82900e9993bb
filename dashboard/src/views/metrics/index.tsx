import { Empty } from '../../ui'

export default function MetricsView() {
  return <Empty title="Not built yet" />
}
