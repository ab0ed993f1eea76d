/**
 * The first-load part of attachments (PROTOCOL §15): the attach button, shown only when config.json
 * offers attachments, and the listeners that hand files from the picker, a drop or a paste to the
 * composer's attachments (attachments.ts, its own chunk, fetched with the first file or drag).
 * Files are read inside the event: a DataTransfer is empty once its event is over (and during a
 * drag, until the drop). A paste that has text too (a copy from a spreadsheet) stays a text paste.
 * The message editor (edit-message.ts) adds files the same way, with what {@link AttachHook.editor} gives it.
 */
import type { AttachDeps, Attachments } from './attachments';
import { byId } from './dom';
import type { EditorAttach } from './edit-message';
import type { MessageAttachment } from '../contract/attachments';

/** What the page asks of the attachments once they are wired. */
export interface AttachHook {
  /** What the message editor needs to add files as the composer does. */
  editor: EditorAttach;
  /** The ready files, in the order shown, for the message being sent (the strip is cleared); none: undefined. */
  take(): MessageAttachment[] | undefined;
}

/** The events that can bring files: a paste, and a drag (its files come with the drop). */
const FILE_EVENTS = ['paste', 'dragenter', 'dragover', 'dragleave', 'drop'];

/** The files such an event carries (none yet during a drag); undefined when it carries none (a paste with text is a text paste). */
function eventFiles(e: Event): File[] | undefined {
  const d = (e as DragEvent).dataTransfer ?? (e as ClipboardEvent).clipboardData;
  if (!d?.types.includes('Files') || (e.type === 'paste' && d.types.includes('text/plain'))) return undefined;
  return [...d.files];
}

/** Wires the attach UI when `deps.config` is set; undefined (and no UI at all) when it is not. */
export function attachHook(deps: Omit<AttachDeps, 'config'> & { config?: AttachDeps['config'] }, loadFailed: () => void): AttachHook | undefined {
  const config = deps.config;
  if (!config) return undefined;
  const input = byId<HTMLInputElement>('attach-input');
  const button = byId('attach');
  let ready: Attachments | undefined;
  let loading: Promise<Attachments> | undefined;
  const use = (type: string, files: File[]) => void (loading ??= import('./attachments.js').then((m) => (ready = new m.Attachments({ ...deps, config }))))
    .then((a) => a.on(type, files), loadFailed);
  button.hidden = false;
  button.onclick = () => input.click();
  // By extension too: some systems know no type for Markdown, or call a CSV file a spreadsheet.
  input.accept = [...config.imageTypes, ...config.documentTypes, '.md', '.csv'].join();
  input.onchange = () => {
    use('change', [...input.files!]);
    input.value = '';
  };
  for (const type of FILE_EVENTS) {
    document.addEventListener(type, (e) => {
      const files = eventFiles(e);
      if (!files) return;
      e.preventDefault();
      use(type, files);
    });
  }
  return { take: () => ready?.take(), editor: { config, lang: deps.lang, accept: input.accept, events: FILE_EVENTS, eventFiles, loadFailed } };
}
