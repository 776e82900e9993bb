import { Empty } from '../../ui'

export default function SchemaView() {
  return <Empty title="Not built yet" />
}
