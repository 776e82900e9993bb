import { Empty } from '../../ui'

export default function FunctionsView() {
  return <Empty title="Not built yet" />
}
