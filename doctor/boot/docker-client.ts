/**
 * The Docker engine as the boot sees it: the few operations it needs, in its own words. Boot code
 * talks to these interfaces, never to dockerode's objects (testcontainers' `ContainerClient` is the
 * model); `dockerode-client.ts` is the one implementation, against a real engine.
 */

export interface ExecOptions {
  env?: string[];
  workingDir?: string;
  /** Called with each complete output line (stdout and stderr apart), as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Takes stdout's bytes as they arrive (binary output): the result's `stdout` is then empty. */
  onStdout?: (chunk: Buffer) => void;
  /** Ends the wait for the command (its output so far is returned); the command itself goes with its container. */
  signal?: AbortSignal;
  /**
   * The command's stdin: a text written once it resolves, or a byte stream piped in with
   * backpressure. stdin is closed after either.
   */
  stdin?: Promise<string> | NodeJS.ReadableStream;
}

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface ContainerSpec {
  image: string;
  cmd: string[];
  labels: Record<string, string>;
  workingDir?: string;
  env?: string[];
  /** Only loopback inside: a boot never reaches a network. */
  networkNone?: boolean;
  /** Mount point -> tmpfs options (`rw,exec,mode=0755`). */
  tmpfs?: Record<string, string>;
  /** Bind mounts, `host-path:container-path[:ro]`: only where `sharesFiles()` says they work. */
  binds?: string[];
}

export interface ContainerClient {
  readonly id: string;
  start(): Promise<void>;
  exec(cmd: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Kills (SIGKILL) and removes the container with its volumes; one already gone is no error. */
  remove(): Promise<void>;
}

export interface ContainerSummary {
  id: string;
  labels: Record<string, string>;
  /** `running`, `exited`, `created`, ... as the engine says. */
  state: string;
  /** Seconds since the epoch. */
  created: number;
}

export interface DockerClient {
  /** Where the engine was reached (DOCKER_HOST or the default socket), for messages. */
  readonly address: string;
  imageExists(ref: string): Promise<boolean>;
  /** Builds the folder's `files` into `tag`; throws with the failing step's own words. */
  buildImage(dir: string, files: string[], tag: string, options?: { signal?: AbortSignal; onOutput?: (line: string) => void }): Promise<void>;
  pullImage(ref: string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Whether the engine's containers see this machine's files (a bind-mounted named pipe joins
   * the two): an engine on this Linux machine, not one in a VM (Docker Desktop, colima) or
   * across a network.
   */
  sharesFiles(): Promise<boolean>;
  /** Creates a container (not started). */
  createContainer(spec: ContainerSpec): Promise<ContainerClient>;
  /** Containers (running or not) that carry every label (`key=value` or `key`). */
  listContainers(labels: string[]): Promise<ContainerSummary[]>;
  /** `gone` when no such container exists (any more). */
  removeContainer(id: string): Promise<'removed' | 'gone'>;
}
