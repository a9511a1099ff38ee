// ECS_IMAGE_PULL_BEHAVIOR, as the ECS agent implements it (shared by both runtimes):
//   default       pull; if the pull fails, use the cached image (fail only when there is none)
//   always        pull; if the pull fails, fail, even when a cached image exists
//   once          pull unless this agent already pulled the image successfully (and it is still
//                 cached); a failed pull fails, even when a cached image exists
//   prefer-cached use the cached image when present, else pull; a failed pull fails
import type { ContainerSpec } from './types.js';
import { CannotPullContainerError } from './errors.js';

export type PullBehavior = ContainerSpec['pullBehavior'];

export interface ImageStore {
  /** Whether the image is cached locally. */
  exists(image: string): Promise<boolean>;
  /** Pulls from the registry; throws an Error whose message is the engine's reason. */
  pull(image: string): Promise<void>;
}

/**
 * Makes the image available per the behaviour. `pulledOnce` is this agent's memory of successful
 * pulls (for `once`); it is updated here. Throws CannotPullContainerError with the engine's reason.
 */
export async function ensureImage(store: ImageStore, image: string, behavior: PullBehavior, pulledOnce: Set<string>): Promise<void> {
  if (behavior === 'prefer-cached' && await store.exists(image)) return;
  if (behavior === 'once' && pulledOnce.has(image) && await store.exists(image)) return;
  try {
    await store.pull(image);
    pulledOnce.add(image);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (behavior === 'default' && await store.exists(image).catch(() => false)) return;
    throw new CannotPullContainerError(reason);
  }
}

/**
 * "repo[:tag]" / "repo@sha256:…" → the fromImage/tag pair the engine's pull wants (tag defaults to
 * latest; a registry port "host:5000/x" is not a tag).
 */
export function splitImage(image: string): { repository: string; tag: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { repository: image.slice(0, at), tag: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  if (colon > image.lastIndexOf('/')) return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repository: image, tag: 'latest' };
}

/** The image with its implicit :latest made explicit (busybox → busybox:latest). */
export function normalizeImage(image: string): string {
  const { repository, tag } = splitImage(image);
  return image.includes('@') ? image : `${repository}:${tag}`;
}
