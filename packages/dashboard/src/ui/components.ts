/** Small pieces shared by the pages. Every user value is rendered as a text node (htm/Preact escape it). */
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { json } from './format.js';

export function StatusBadge({ status }: { status: string }) {
  return html`<span class=${`badge status-${status.toLowerCase()}`} data-status=${status}>${status}</span>`;
}

export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  if (value === undefined) return html`<p class="muted">${label ? `no ${label}` : 'nothing'}</p>`;
  return html`<pre class="json">${json(value)}</pre>`;
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  return error ? html`<p class="error" role="alert">${error.message}</p>` : null;
}

export interface ConfirmRequest {
  title: string;
  /** What will happen, in a sentence. */
  message: string;
  confirmLabel: string;
  /** Fields to fill in before confirming (a reason, an event name and data). */
  fields?: Array<{ name: string; label: string; multiline?: boolean; placeholder?: string }>;
  danger?: boolean;
  run: (values: Record<string, string>) => Promise<void>;
}

/** A modal that asks before an action runs, shows the action's error, and closes when it succeeded. */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest; onClose: () => void }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const confirm = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await request.run(values);
      onClose();
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  };
  return html`<div class="overlay">
    <form class="dialog" role="dialog" aria-modal="true" aria-label=${request.title} onSubmit=${confirm}>
      <h2>${request.title}</h2>
      <p>${request.message}</p>
      ${(request.fields ?? []).map(
        (field) => html`<label class="field">
          <span>${field.label}</span>
          ${field.multiline
            ? html`<textarea name=${field.name} placeholder=${field.placeholder ?? ''} rows="4" onInput=${(e: Event) => setValues({ ...values, [field.name]: (e.target as HTMLTextAreaElement).value })}></textarea>`
            : html`<input name=${field.name} placeholder=${field.placeholder ?? ''} onInput=${(e: Event) => setValues({ ...values, [field.name]: (e.target as HTMLInputElement).value })} />`}
        </label>`,
      )}
      <${ErrorNote} error=${error} />
      <div class="buttons">
        <button type="button" onClick=${onClose}>Cancel</button>
        <button type="submit" class=${request.danger ? 'danger' : 'primary'} disabled=${busy}>${request.confirmLabel}</button>
      </div>
    </form>
  </div>`;
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return html`<section class="panel" id=${id}>
    <h2>${title}</h2>
    ${children}
  </section>`;
}
