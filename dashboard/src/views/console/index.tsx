import { Empty } from '../../ui'

export default function ConsoleView() {
  return <Empty title="Not built yet" />
}
