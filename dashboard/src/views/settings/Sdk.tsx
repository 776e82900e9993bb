// Client SDKs: the app's typed SDK, generated from its classes and its functions' declared types,
// downloaded as a zip (any member). The same package comes from `hearth sdk generate`.
import { useState } from 'react'
import { adminDownload } from '../../api'
import type { AppView } from '../../types'
import { CopyButton, ErrorText } from '../../ui'

type Lang = 'ts' | 'kotlin' | 'swift' | 'dart'

const LANGS: { lang: Lang; label: string; platform: string; install: string }[] = [
  { lang: 'ts', label: 'TypeScript', platform: 'Browsers, Node 20+, React Native', install: 'Unzip next to your app and add it as a local dependency: npm install ./<folder>' },
  { lang: 'kotlin', label: 'Kotlin', platform: 'Android and the JVM', install: 'Unzip into your project and include it as a Gradle module (settings.gradle.kts: include(":<folder>")).' },
  { lang: 'swift', label: 'Swift', platform: 'iOS, macOS (Swift Package)', install: 'Unzip and add the folder in Xcode: File → Add Package Dependencies → Add Local.' },
  { lang: 'dart', label: 'Dart', platform: 'Flutter', install: 'Unzip and add it to pubspec.yaml as a path dependency.' },
]

export function SdkSection({ app }: { app: AppView }) {
  const [lang, setLang] = useState<Lang>('ts')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [saved, setSaved] = useState<string | null>(null)
  const chosen = LANGS.find((l) => l.lang === lang)!
  const command = `hearth sdk generate --app ${app.applicationId} --lang ${lang} --out ./${app.applicationId}-${lang}-sdk`

  async function download() {
    setBusy(true)
    setError(null)
    setSaved(null)
    try {
      const { blob, fileName } = await adminDownload(`/apps/${encodeURIComponent(app.applicationId)}/sdk/${lang}`)
      const name = fileName ?? `${app.applicationId}-${lang}-sdk.zip`
      const url = URL.createObjectURL(blob)
      const a = document.createElement('a')
      a.href = url
      a.download = name
      document.body.appendChild(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      setSaved(name)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card settings-card" aria-labelledby="sdk-title">
      <h2 id="sdk-title">Client SDKs</h2>
      <p className="muted small">
        A typed SDK generated for this app: each class is a model, queries are typed, and your cloud functions' declared parameter and result
        types are checked. Initialise it with the client key above; regenerate it after a schema change.
      </p>
      <fieldset className="radio-row sdk-langs" disabled={busy}>
        <legend>Language</legend>
        {LANGS.map((l) => (
          <label key={l.lang}>
            <input type="radio" name="sdk-lang" checked={lang === l.lang} onChange={() => setLang(l.lang)} /> {l.label}{' '}
            <span className="muted small">{l.platform}</span>
          </label>
        ))}
      </fieldset>
      <p className="small">{chosen.install}</p>
      <div className="row sdk-actions">
        <button type="button" className="primary" onClick={download} disabled={busy}>
          {busy ? 'Generating…' : `Download ${chosen.label} SDK`}
        </button>
        {saved && (
          <span className="ok-text" role="status">
            Saved {saved}
          </span>
        )}
      </div>
      <ErrorText error={error} />
      <p className="muted small sdk-cli">
        From the command line: <code>{command}</code> <CopyButton text={command} label="Copy command" />
      </p>
    </section>
  )
}
