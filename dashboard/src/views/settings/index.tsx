import { Empty } from '../../ui'

export default function SettingsView() {
  return <Empty title="Not built yet" />
}
