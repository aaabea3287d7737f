/** Background services of a running station; each registers its stopper in services.disposers. */
import type { App } from './app';

export function startBackground(_app: App): void {}
