/**
 * The models of config.json: their names in the UI language, and the picker of the open
 * conversation next to the message box (a new conversation starts on the default).
 */
import { h } from './dom';
import { lang } from './i18n';
import { SettingsMenu } from './settings-menu';
import type { ClientConfig, ClientModel } from '../contract/protocol';

let models: ClientModel[] = [];

/** An element naming a model in the UI language (its id when config.json does not list it); translateDom re-renders it. */
export function modelTag<K extends 'span' | 'button'>(tag: K, modelId: string, attrs: Record<string, string> = {}) {
  const label = models.find((m) => m.modelId === modelId)?.label ?? { ko: modelId, en: modelId };
  return h(tag, { ...attrs, 'data-ko': label.ko, 'data-en': label.en }, label[lang()]);
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

/**
 * A menu button (the settings menu's keyboard and ARIA pattern) listing config.json's models as
 * radio items; the first ChatController.open shows one.
 */
export function modelPicker(config: ClientConfig, button: HTMLButtonElement, panel: HTMLElement): ModelPicker {
  const id = config.model.modelId;
  const fallback = config.defaultModelId ?? id;
  models = config.models ?? [{ modelId: id, label: { ko: id, en: id } }];
  panel.append(...models.map((m) => modelTag('button', m.modelId, { 'type': 'button', 'role': 'menuitemradio', 'tabindex': '-1', 'data-setting': 'model', 'data-value': m.modelId })));
  let current = fallback;
  let chosen = false;
  const set = (modelId: string) => {
    current = modelId;
    button.firstElementChild!.replaceWith(modelTag('span', modelId, { id: 'model-name' }));
  };
  new SettingsMenu({
    value: () => current,
    choose: (_, modelId) => {
      chosen = true;
      set(modelId);
    },
  }, button, panel);
  return {
    get value() {
      return chosen ? current : undefined;
    },
    show(modelId: string | undefined, opened?: boolean) {
      if (opened) chosen = false;
      if (!chosen) set(models.some((m) => m.modelId === modelId) ? modelId! : fallback);
    },
  };
}
