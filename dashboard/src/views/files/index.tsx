import { Empty } from '../../ui'

export default function FilesView() {
  return <Empty title="Not built yet" />
}
