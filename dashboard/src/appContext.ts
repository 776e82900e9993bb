import { useOutletContext } from 'react-router'
import type { AppView } from './types'

/** The app whose section is open (from the app frame). */
export function useApp(): AppView {
  return useOutletContext<AppView>()
}
