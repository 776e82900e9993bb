import { Empty } from '../../ui'

export default function ConfigView() {
  return <Empty title="Not built yet" />
}
