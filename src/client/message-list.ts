/**
 * The scrolling message list: follows a streaming answer while the person is at the end, keeps
 * their place when older messages go in above, asks for older messages when its top comes into
 * view, offers a jump to the latest message while scrolled up, and copies code blocks.
 */
import { byId, h } from './dom';
import { localize } from './i18n';

/** Within this many pixels of the end, the list follows a streaming answer. */
const FOLLOW_SLACK_PX = 80;

/** The message list of the chat view. */
export class MessageList {
  private readonly scroller = byId('messages');
  private readonly list = byId<HTMLOListElement>('message-list');
  private readonly empty = byId('empty-chat');
  private readonly jump = byId<HTMLButtonElement>('jump-latest');
  private following = true;

  /** `needOlder` runs when the top of the list comes into view. */
  constructor(needOlder: () => void) {
    this.scroller.addEventListener('scroll', () => {
      const s = this.scroller;
      this.following = s.scrollHeight - s.scrollTop - s.clientHeight < FOLLOW_SLACK_PX;
      this.showJump();
    });
    this.jump.addEventListener('click', () => {
      this.following = true;
      this.scrollToEnd();
      byId('message-input').focus();
    });
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) needOlder();
    }, { root: this.scroller }).observe(byId('older-sentinel'));
    this.list.addEventListener('click', (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('.copy-code');
      if (button) void import('./copy-code.js').then((m) => m.copyCode(button, h, localize), () => undefined);
    });
  }

  /** Empties the list; `showEmpty` shows the new-chat hint. */
  clear(showEmpty: boolean): void {
    this.list.replaceChildren();
    this.empty.hidden = !showEmpty;
    this.following = true;
    this.showJump();
  }

  /** Adds messages at the end and scrolls there (`follow`: and keeps following). */
  append(elements: HTMLElement[], follow = false): void {
    this.list.append(...elements);
    this.empty.hidden = this.list.childElementCount > 0;
    if (follow) this.following = true;
    this.scrollToEnd();
  }

  /** Removes `el` and every message below it (a new version replaces them). */
  removeFrom(el: Element): void {
    while (el.nextElementSibling) el.nextElementSibling.remove();
    el.remove();
  }

  /** Adds older messages at the top without moving what is on screen. */
  prepend(elements: HTMLElement[]): void {
    const fromEnd = this.scroller.scrollHeight - this.scroller.scrollTop;
    this.list.prepend(...elements);
    this.scroller.scrollTop = this.scroller.scrollHeight - fromEnd;
  }

  /** Called after an answer re-rendered: stay at the end if the person was there. */
  followIfAtEnd(): void {
    if (this.following) this.scrollToEnd();
    else this.showJump();
  }

  private scrollToEnd(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.following = true;
    this.showJump();
  }

  /** The jump-to-latest button shows while the person is scrolled up from the end. */
  private showJump(): void {
    this.jump.hidden = this.following || this.list.childElementCount === 0;
  }
}
