import { Empty } from '../../ui'

export default function AccountView() {
  return <Empty title="Not built yet" />
}
