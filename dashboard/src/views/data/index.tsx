import { Empty } from '../../ui'

export default function DataView() {
  return <Empty title="Not built yet" />
}
