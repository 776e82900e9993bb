// The live classes setting (`liveQuery.classNames`): the entries as text, one per line (class
// names or patterns), with a switch for each class of the app that adds or removes its name, and
// the classes the entries match now.
import { useQuery } from '@tanstack/react-query'
import { listSchemas } from '../data/dataApi'
import { invalidPatterns, matchingClasses, ownClassesFirst, patternLines, toggleLine } from './catalog'

export function LiveClassesControl({
  appId,
  id,
  draft,
  error,
  onChange,
}: {
  appId: string
  id: string
  draft: string
  error?: string
  onChange: (v: string) => void
}) {
  const schemas = useQuery({ queryKey: ['schemas', appId], queryFn: () => listSchemas(appId) })
  const classes = ownClassesFirst((schemas.data ?? []).map((s) => s.className))
  const lines = patternLines(draft)
  const matched = matchingClasses(lines, classes)
  const invalid = invalidPatterns(lines)
  return (
    <div className="live-classes">
      <div className="live-classes-pick" role="group" aria-label="Classes of this app">
        {schemas.isPending ? (
          <span className="muted small">Loading the app's classes…</span>
        ) : schemas.isError ? (
          <span className="muted small">The app's classes could not be read; type their names below.</span>
        ) : classes.length === 0 ? (
          <span className="muted small">The app has no class yet; type names or patterns below.</span>
        ) : (
          classes.map((c) => (
            <label key={c} className="live-class">
              <input type="checkbox" checked={lines.includes(c)} onChange={(e) => onChange(toggleLine(draft, c, e.target.checked))} />
              <span className="mono">{c}</span>
              {!lines.includes(c) && matched.includes(c) && <span className="badge ok">by pattern</span>}
            </label>
          ))
        )}
      </div>
      <textarea
        id={id}
        rows={Math.min(8, Math.max(3, lines.length + 1))}
        value={draft}
        placeholder={'Message\nChat.*'}
        spellCheck={false}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={`${id}-doc ${id}-matches`}
        aria-invalid={error ? true : undefined}
      />
      <span className="field-hint" id={`${id}-matches`}>
        {lines.length === 0
          ? 'No entry: LiveQuery is off for this app.'
          : invalid.length > 0
            ? `Not a regular expression: ${invalid.join(', ')}.`
            : matched.length === 0
            ? 'No class of the app matches these entries yet (a class created later that matches is live).'
            : `Live now: ${matched.join(', ')}.`}
      </span>
    </div>
  )
}
