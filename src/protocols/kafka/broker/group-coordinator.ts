// Classic consumer groups (JoinGroup / SyncGroup / Heartbeat / LeaveGroup) with Kafka's state machine:
// Empty -> PreparingRebalance -> CompletingRebalance -> Stable, rebalancing when members join, leave
// or miss their session timeout, plus committed offsets. Join and Sync are long polls: their answers
// wait until the round completes. Protocol payloads (subscriptions, assignments) stay opaque bytes.
import { randomUUID } from "node:crypto";
import { KAFKA_ERRORS as E } from "../wire/index.js";

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export interface JoinRequestInfo {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  /** JoinGroup v4+: a member without an id is first told MEMBER_ID_REQUIRED with one (KIP-394). */
  requireKnownMemberId: boolean;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

interface Member {
  id: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  pendingJoin?: (r: JoinResult) => void;
  pendingSync?: (r: SyncResult) => void;
  sessionTimer?: NodeJS.Timeout;
}

const EMPTY: Buffer = Buffer.alloc(0);

export interface GroupSettings {
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more members. */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms (Kafka: 6000 / 1800000). */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
}

export class Group {
  state: GroupState = "Empty";
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  readonly offsets = new Map<string, CommittedOffset>();
  private readonly pendingMemberIds = new Set<string>();
  private rebalanceTimer: NodeJS.Timeout | undefined;
  private initialDelayTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly groupId: string,
    private readonly settings: GroupSettings,
  ) {}

  join(req: JoinRequestInfo): Promise<JoinResult> {
    const fail = (errorCode: number, memberId = req.memberId): Promise<JoinResult> =>
      Promise.resolve({
        errorCode,
        generationId: -1,
        protocolType: null,
        protocolName: null,
        leader: "",
        memberId,
        members: [],
      });
    if (this.state === "Dead") return fail(E.COORDINATOR_NOT_AVAILABLE);
    if (
      req.sessionTimeoutMs < this.settings.minSessionTimeoutMs ||
      req.sessionTimeoutMs > this.settings.maxSessionTimeoutMs
    ) {
      return fail(E.INVALID_SESSION_TIMEOUT);
    }
    if (!this.protocolsCompatible(req)) return fail(E.INCONSISTENT_GROUP_PROTOCOL);
    let memberId = req.memberId;
    if (memberId === "") {
      memberId = `${req.clientId}-${randomUUID()}`;
      if (req.requireKnownMemberId) {
        this.pendingMemberIds.add(memberId);
        return fail(E.MEMBER_ID_REQUIRED, memberId);
      }
    } else if (!this.members.has(memberId) && !this.pendingMemberIds.has(memberId)) {
      return fail(E.UNKNOWN_MEMBER_ID);
    }
    this.pendingMemberIds.delete(memberId);
    let member = this.members.get(memberId);
    if (!member) {
      member = {
        id: memberId,
        groupInstanceId: req.groupInstanceId,
        clientId: req.clientId,
        clientHost: req.clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols,
        assignment: EMPTY,
      };
      this.members.set(memberId, member);
      if (!this.leaderId) this.leaderId = memberId;
    } else {
      member.sessionTimeoutMs = req.sessionTimeoutMs;
      member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
      member.protocols = req.protocols;
      member.protocolType = req.protocolType;
      // A member re-joining while an older join is parked: the old request is superseded.
      member.pendingJoin?.(this.joinError(E.REBALANCE_IN_PROGRESS, memberId));
    }
    this.clearSessionTimer(member);
    const result = new Promise<JoinResult>((resolve) => (member.pendingJoin = resolve));
    if (this.state !== "PreparingRebalance") this.prepareRebalance();
    else this.maybeCompleteJoin();
    return result;
  }

  sync(
    memberId: string,
    generationId: number,
    assignments: { memberId: string; assignment: Buffer }[],
  ): Promise<SyncResult> {
    const answer = (errorCode: number, assignment: Buffer = EMPTY): Promise<SyncResult> =>
      Promise.resolve({
        errorCode,
        protocolType: this.protocolType,
        protocolName: this.protocolName,
        assignment,
      });
    const member = this.members.get(memberId);
    if (!member) return answer(E.UNKNOWN_MEMBER_ID);
    if (generationId !== this.generationId) return answer(E.ILLEGAL_GENERATION);
    if (this.state === "PreparingRebalance") return answer(E.REBALANCE_IN_PROGRESS);
    this.touchSession(member);
    if (this.state === "Stable") return answer(E.NONE, member.assignment);
    // CompletingRebalance: wait for the leader's assignment.
    const result = new Promise<SyncResult>((resolve) => (member.pendingSync = resolve));
    if (memberId === this.leaderId) {
      for (const m of this.members.values()) m.assignment = EMPTY;
      for (const a of assignments) {
        const m = this.members.get(a.memberId);
        if (m) m.assignment = a.assignment;
      }
      this.state = "Stable";
      for (const m of this.members.values()) {
        const resolve = m.pendingSync;
        m.pendingSync = undefined;
        resolve?.({
          errorCode: E.NONE,
          protocolType: this.protocolType,
          protocolName: this.protocolName,
          assignment: m.assignment,
        });
      }
    }
    return result;
  }

  heartbeat(memberId: string, generationId: number): number {
    if (this.state === "Empty" || this.state === "Dead") return E.UNKNOWN_MEMBER_ID;
    const member = this.members.get(memberId);
    if (!member) return E.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return E.ILLEGAL_GENERATION;
    this.touchSession(member);
    return this.state === "PreparingRebalance" ? E.REBALANCE_IN_PROGRESS : E.NONE;
  }

  leave(memberId: string): number {
    if (this.pendingMemberIds.delete(memberId)) return E.NONE;
    const member = this.members.get(memberId);
    if (!member) return E.UNKNOWN_MEMBER_ID;
    this.removeMember(member);
    return E.NONE;
  }

  /** Checks a commit's generation and member as Kafka does; returns an error code or NONE. */
  validateCommit(memberId: string, generationId: number): number {
    if (generationId < 0 && memberId === "") {
      // A commit from outside the group protocol (assign() consumers, admin tools).
      return this.members.size === 0 ? E.NONE : E.UNKNOWN_MEMBER_ID;
    }
    const member = this.members.get(memberId);
    if (!member) return E.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return E.ILLEGAL_GENERATION;
    if (this.state === "PreparingRebalance") return E.REBALANCE_IN_PROGRESS;
    this.touchSession(member);
    return E.NONE;
  }

  shutdown(): void {
    clearTimeout(this.rebalanceTimer);
    clearTimeout(this.initialDelayTimer);
    for (const m of this.members.values()) this.clearSessionTimer(m);
    this.state = "Dead";
  }

  // --------------------------------------------------------------------------------------------- internals

  private protocolsCompatible(req: JoinRequestInfo): boolean {
    if (req.protocolType === "" || req.protocols.length === 0) return false;
    if (this.members.size === 0 || (this.members.size === 1 && this.members.has(req.memberId))) return true;
    const type = [...this.members.values()][0]!.protocolType;
    if (type !== req.protocolType) return false;
    const names = new Set(req.protocols.map((p) => p.name));
    return this.candidateProtocols().some((p) => names.has(p));
  }

  /** Protocol names every current member supports. */
  private candidateProtocols(): string[] {
    const members = [...this.members.values()];
    if (members.length === 0) return [];
    return members[0]!.protocols
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  }

  private prepareRebalance(): void {
    const wasEmpty = this.state === "Empty";
    // Members waiting for an assignment of the round now cancelled must re-join.
    for (const m of this.members.values()) {
      const resolve = m.pendingSync;
      m.pendingSync = undefined;
      resolve?.({
        errorCode: E.REBALANCE_IN_PROGRESS,
        protocolType: this.protocolType,
        protocolName: this.protocolName,
        assignment: EMPTY,
      });
    }
    this.state = "PreparingRebalance";
    const timeout = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = setTimeout(() => this.completeJoin(), timeout);
    this.rebalanceTimer.unref();
    if (wasEmpty && this.settings.initialRebalanceDelayMs > 0) {
      // group.initial.rebalance.delay.ms: let members that start together join the first generation.
      this.initialDelayTimer = setTimeout(() => {
        this.initialDelayTimer = undefined;
        this.maybeCompleteJoin();
      }, this.settings.initialRebalanceDelayMs);
      this.initialDelayTimer.unref();
    } else {
      this.maybeCompleteJoin();
    }
  }

  private maybeCompleteJoin(): void {
    if (this.state !== "PreparingRebalance" || this.initialDelayTimer) return;
    if ([...this.members.values()].every((m) => m.pendingJoin)) this.completeJoin();
  }

  /** Ends the join phase: members that did not re-join are dropped, the rest get the new generation. */
  private completeJoin(): void {
    if (this.state !== "PreparingRebalance") return;
    clearTimeout(this.rebalanceTimer);
    clearTimeout(this.initialDelayTimer);
    this.initialDelayTimer = undefined;
    for (const m of [...this.members.values()]) {
      if (!m.pendingJoin) {
        this.clearSessionTimer(m);
        this.members.delete(m.id);
      }
    }
    this.generationId++;
    if (this.members.size === 0) {
      this.state = "Empty";
      this.leaderId = null;
      this.protocolName = null;
      return;
    }
    if (!this.leaderId || !this.members.has(this.leaderId)) this.leaderId = this.members.keys().next().value!;
    this.protocolType = this.members.values().next().value!.protocolType;
    this.protocolName = this.selectProtocol();
    this.state = "CompletingRebalance";
    const members = [...this.members.values()];
    for (const m of members) {
      const resolve = m.pendingJoin!;
      m.pendingJoin = undefined;
      this.touchSession(m);
      resolve({
        errorCode: E.NONE,
        generationId: this.generationId,
        protocolType: this.protocolType,
        protocolName: this.protocolName,
        leader: this.leaderId,
        memberId: m.id,
        members:
          m.id === this.leaderId
            ? members.map((x) => ({
                memberId: x.id,
                groupInstanceId: x.groupInstanceId,
                metadata: x.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY,
              }))
            : [],
      });
    }
  }

  /** Each member votes for the first of its protocols every member supports; most votes wins. */
  private selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))?.name;
      if (choice) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = candidates[0]!;
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  private joinError(errorCode: number, memberId: string): JoinResult {
    return {
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: "",
      memberId,
      members: [],
    };
  }

  private removeMember(member: Member): void {
    this.clearSessionTimer(member);
    member.pendingJoin?.(this.joinError(E.UNKNOWN_MEMBER_ID, member.id));
    member.pendingSync?.({
      errorCode: E.UNKNOWN_MEMBER_ID,
      protocolType: null,
      protocolName: null,
      assignment: EMPTY,
    });
    this.members.delete(member.id);
    if (this.leaderId === member.id) this.leaderId = this.members.keys().next().value ?? null;
    if (this.state === "Stable" || this.state === "CompletingRebalance") this.prepareRebalance();
    else if (this.state === "PreparingRebalance") {
      if (this.members.size === 0) this.completeJoin();
      else this.maybeCompleteJoin();
    }
  }

  private touchSession(member: Member): void {
    this.clearSessionTimer(member);
    member.sessionTimer = setTimeout(() => {
      // A member parked in a join is governed by the rebalance timeout instead.
      if (!member.pendingJoin && this.members.get(member.id) === member) this.removeMember(member);
    }, member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  private clearSessionTimer(member: Member): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = undefined;
  }
}

export class GroupCoordinator {
  readonly groups = new Map<string, Group>();

  constructor(private readonly settings: GroupSettings) {}

  group(groupId: string): Group {
    let g = this.groups.get(groupId);
    if (!g) {
      g = new Group(groupId, this.settings);
      this.groups.set(groupId, g);
    }
    return g;
  }

  shutdown(): void {
    for (const g of this.groups.values()) g.shutdown();
  }
}
