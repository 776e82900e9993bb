// What the "New app" form checks before sending, and where the server's answer to a refused
// creation belongs (the name or the application id field).
import { ApiError } from '../../api'

export interface NewAppForm {
  name: string
  applicationId: string
}

export type FormErrors = Partial<Record<keyof NewAppForm | 'form', string>>

/** What is plainly missing, before sending; the server checks the rest (length, characters,
 * a taken id) and its answer is shown next to the field it is about. */
export function checkNewApp(form: NewAppForm): FormErrors {
  return form.name.trim() ? {} : { name: 'An app needs a name.' }
}

/** The request body: the id only when given (the server generates one otherwise). */
export function newAppBody(form: NewAppForm): { name: string; applicationId?: string } {
  const id = form.applicationId.trim()
  return id ? { name: form.name.trim(), applicationId: id } : { name: form.name.trim() }
}

/** Puts a refused creation's message next to the field it is about. */
export function errorField(err: unknown): FormErrors {
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof ApiError && (err.code === 137 || /application id/i.test(message))) return { applicationId: message }
  if (/\bname\b/i.test(message)) return { name: message }
  return { form: message }
}

/** Apps whose name or id contains `query` (case-insensitive). */
export function filterApps<T extends { name: string; applicationId: string }>(apps: T[], query: string): T[] {
  const q = query.trim().toLowerCase()
  if (!q) return apps
  return apps.filter((a) => a.name.toLowerCase().includes(q) || a.applicationId.toLowerCase().includes(q))
}
