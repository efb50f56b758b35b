/**
 * Build an image from a context directory on a Docker Engine through its API (`POST /build`, the classic
 * builder: a `FROM scratch` image needs no registry and no BuildKit).
 */
import type Dockerode from 'dockerode';
import { tarContext } from './context.js';

/** The image that was built. */
export interface BuiltImage {
  readonly tag: string;
  readonly id: string;
  /** Size of the image's content, in bytes, as the Engine reports it. */
  readonly size: number;
}

interface BuildMessage {
  readonly stream?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

/** Build `dir` as `tag` on `docker`; rejects with the Engine's message when the build fails. */
export async function buildImage(docker: Dockerode, dir: string, tag: string, log: (line: string) => void = () => {}): Promise<BuiltImage> {
  const stream = await docker.buildImage(tarContext(dir), { t: tag, rm: true, forcerm: true });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, messages: BuildMessage[]) => {
        const failed = messages?.find((m) => m.error !== undefined);
        if (error) reject(error);
        else if (failed) reject(new Error(`docker build of ${tag} failed: ${failed.errorDetail?.message ?? failed.error}`));
        else resolve();
      },
      (message: BuildMessage) => {
        const line = message.stream?.trim();
        if (line) log(line);
      },
    );
  });
  const info = (await docker.getImage(tag).inspect()) as { Id: string; Size: number };
  return { tag, id: info.Id, size: info.Size };
}
