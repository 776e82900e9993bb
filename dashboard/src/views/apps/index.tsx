import { Empty } from '../../ui'

export default function AppsView() {
  return <Empty title="Not built yet" />
}
