/**
 * The models of config.json: their names in the UI language, and the picker of the open
 * conversation next to the message box (a new conversation starts on the default).
 */
import { h } from './dom';
import { lang } from './i18n';
import type { ClientConfig, ClientModel } from '../contract/protocol';

let models: ClientModel[] = [];

/** An element naming a model in the UI language (its id when config.json does not list it); translateDom re-renders it. */
export function modelTag<K extends 'span' | 'option'>(tag: K, modelId: string, attrs: Record<string, string> = {}) {
  const label = models.find((m) => m.modelId === modelId)?.label ?? { ko: modelId, en: modelId };
  return h(tag, { ...attrs, 'data-i18n-name': JSON.stringify(label) }, label[lang()]);
}

/** The model picker of the composer. */
export interface ModelPicker {
  /**
   * The model to send with a message: the one the person picked, else none (the server then keeps
   * the conversation's model, or the default for a new one), so a model shown before the
   * conversation's summary loaded can never switch it by mistake.
   */
  readonly value: string | undefined;
  /**
   * Shows the open conversation's model (the default for a new chat or a model no longer
   * offered); `opened`: a conversation was just opened, so the person's last choice is forgotten.
   */
  show(modelId: string | undefined, opened?: boolean): void;
}

/** Fills the `<select>` with config.json's models and starts on the default. */
export function modelPicker(config: ClientConfig, select: HTMLSelectElement): ModelPicker {
  const id = config.model.modelId;
  const fallback = config.defaultModelId ?? id;
  models = config.models ?? [{ modelId: id, label: { ko: id, en: id } }];
  select.append(...models.map((m) => modelTag('option', m.modelId, { value: m.modelId })));
  let chosen = false;
  select.onchange = () => (chosen = true);
  const picker = {
    get value() {
      return chosen ? select.value : undefined;
    },
    show(modelId: string | undefined, opened?: boolean) {
      if (opened) chosen = false;
      if (!chosen) select.value = models.some((m) => m.modelId === modelId) ? modelId! : fallback;
    },
  };
  picker.show(undefined);
  return picker;
}
