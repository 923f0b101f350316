/**
 * Keep-alive connection pools for the FHIR client: one node:http / node:https Agent per FHIR server origin, so the GETs of a CDS request and of the next requests reuse TCP (and TLS)
 * connections instead of paying a handshake each.
 *
 * Bounded: at most `maxOrigins` agents (least recently used evicted), `maxSockets` connections per origin
 * (more calls queue), `maxFreeSockets` idle ones kept, each closed after `freeSocketTimeoutMs` idle (or
 * earlier when the server announces a shorter `Keep-Alive: timeout=`), so a server closing idle connections
 * rarely races a request onto a dead one (the client retries that case once, see http-get.ts).
 *
 * Idle sockets are unref'd (Node's Agent does it when a socket goes back to the pool): the pools never keep
 * the process alive. closeFhirAgents() closes every idle connection now and each busy one as soon as its
 * call ends (a call in flight is not cut short), and forgets the agents.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

export interface FhirAgentOptions {
  /** Distinct origins (agents) kept; the least recently used one is retired beyond that. */
  maxOrigins: number;
  /** Connections per origin, busy and idle; further calls wait for one. */
  maxSockets: number;
  /** Idle connections kept per origin. */
  maxFreeSockets: number;
  /** An idle connection is closed after this long (capped by the server's Keep-Alive hint minus 1 s). */
  freeSocketTimeoutMs: number;
  /** TCP keep-alive probe delay on pooled sockets. */
  keepAliveMsecs: number;
}

/**
 * maxFreeSockets is the number of parallel GETs of one CDS request (one per absent prefetch key: 9 for
 * imatinib-order-sign) with room to spare: with fewer, every request would close the surplus connections
 * and open them again on the next one.
 */
export const FHIR_AGENT_DEFAULTS: Readonly<FhirAgentOptions> = Object.freeze({
  maxOrigins: 32,
  maxSockets: 16,
  maxFreeSockets: 16,
  freeSocketTimeoutMs: 4000,
  keepAliveMsecs: 1000,
});

/** What the pool adds to an Agent: the idle cap, and retirement (sockets closed once free). */
interface PoolAgent extends http.Agent {
  retired: boolean;
}

/** Node's keepSocketAlive answers whether the socket may be kept (typed `void` in @types/node). */
function keptByNode(answer: unknown): boolean {
  return answer !== false;
}

/** The idle time a server announced for a connection (`Keep-Alive: timeout=<s>`), in ms, by socket. */
const announcedIdle = new WeakMap<Socket, number>();

/**
 * Note the `Keep-Alive` header of a response: when its connection goes idle it is closed 1 s before the
 * server would close it (Node's Agent applies the hint only when it has a timeout of its own, which this
 * pool does not set).
 */
export function noteKeepAlive(socket: Socket, header: string | string[] | undefined): void {
  const text = Array.isArray(header) ? header.join(', ') : header;
  const seconds = text === undefined ? undefined : /(?:^|[\s,;])timeout=(\d+)/i.exec(text)?.[1];
  if (seconds !== undefined) announcedIdle.set(socket, Number(seconds) * 1000 - 1000);
  else announcedIdle.delete(socket);
}

function idleSocketAlive(agent: PoolAgent, socket: Socket, keep: boolean, idleMs: number): boolean {
  // Node answers false for a server hint of 1 s or less (too short to reuse safely).
  if (agent.retired || !keep) return false;
  const announced = announcedIdle.get(socket);
  if (announced !== undefined && announced <= 0) return false;
  const idle = announced !== undefined ? Math.min(announced, idleMs) : idleMs;
  if (socket.timeout !== idle) socket.setTimeout(idle);
  return true;
}

class FhirHttpAgent extends http.Agent implements PoolAgent {
  retired = false;
  constructor(
    options: http.AgentOptions,
    private readonly idleMs: number,
  ) {
    super(options);
  }
  override keepSocketAlive(socket: Socket): boolean {
    return idleSocketAlive(this, socket, keptByNode(super.keepSocketAlive(socket)), this.idleMs);
  }
}

class FhirHttpsAgent extends https.Agent implements PoolAgent {
  retired = false;
  constructor(
    options: https.AgentOptions,
    private readonly idleMs: number,
  ) {
    super(options);
  }
  override keepSocketAlive(socket: Socket): boolean {
    return idleSocketAlive(this, socket, keptByNode(super.keepSocketAlive(socket)), this.idleMs);
  }
}

function socketsOf(list: NodeJS.ReadOnlyDict<Socket[]>): Socket[] {
  return Object.values(list).flatMap((sockets) => sockets ?? []);
}

/** Close an agent's idle connections; resolves when Node has removed them from the pool. */
function closeIdle(agent: http.Agent): Promise<void> {
  const idle = socketsOf(agent.freeSockets);
  return Promise.all(
    idle.map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.closed) return resolve();
          socket.once('close', () => resolve());
          socket.destroy();
        }),
    ),
  ).then(() => undefined);
}

function retire(agent: PoolAgent): void {
  agent.retired = true;
  if (socketsOf(agent.sockets).length === 0) agent.destroy();
  else void closeIdle(agent);
}

export class FhirAgentPool {
  private readonly agents = new Map<string, PoolAgent>();
  readonly options: Readonly<FhirAgentOptions>;

  constructor(options: Partial<FhirAgentOptions> = {}) {
    this.options = { ...FHIR_AGENT_DEFAULTS, ...options };
  }

  /** The agent for `url`'s origin ("http:" or "https:" only), created on first use. */
  agentFor(url: URL): http.Agent {
    const key = url.origin;
    const found = this.agents.get(key);
    if (found) {
      // Map order is insertion order: re-inserting keeps the most recently used last.
      this.agents.delete(key);
      this.agents.set(key, found);
      return found;
    }
    const o = this.options;
    const options: http.AgentOptions = {
      keepAlive: true,
      keepAliveMsecs: o.keepAliveMsecs,
      maxSockets: o.maxSockets,
      maxFreeSockets: o.maxFreeSockets,
      scheduling: 'lifo',
      // No agent-wide socket timeout: each call sets its own (http-get.ts), idle sockets get freeSocketTimeoutMs.
    };
    const agent = url.protocol === 'https:' ? new FhirHttpsAgent(options, o.freeSocketTimeoutMs) : new FhirHttpAgent(options, o.freeSocketTimeoutMs);
    this.agents.set(key, agent);
    while (this.agents.size > o.maxOrigins) {
      const [oldest, evicted] = this.agents.entries().next().value as [string, PoolAgent];
      this.agents.delete(oldest);
      retire(evicted);
    }
    return agent;
  }

  /**
   * Close the idle connections of an agent of this pool (a reset on one reused connection suggests the
   * server dropped its idle ones): the next call opens a fresh connection.
   */
  closeIdle(agent: http.Agent): Promise<void> {
    return closeIdle(agent);
  }

  /** Agents currently kept. */
  get size(): number {
    return this.agents.size;
  }

  /** Retire every agent: idle connections closed now, busy ones when their call ends. */
  close(): void {
    for (const agent of this.agents.values()) retire(agent);
    this.agents.clear();
  }
}

/** The pool FHIR clients use unless given another (one per process). */
export const fhirAgents = new FhirAgentPool();

/** Close the FHIR client's keep-alive connections (on shutdown; later calls open new ones). */
export function closeFhirAgents(): void {
  fhirAgents.close();
}
