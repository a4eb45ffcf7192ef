/**
 * Electronic mandates (電子委任状): an agent registered with a My Number card acts for the
 * business under a mandate issued through a mandate-handling business (電子委任状取扱事業者).
 * F3 renews it with one the provider returns, which must name this business as delegator and this
 * agent as delegate, be valid now and include the procurement authority; each part that differs
 * is its own problem, with what was expected and what the mandate says.
 */

/** The authority (代理権) a mandate must include for the agent to act in government procurement. */
export const PROCUREMENT_AUTHORITY = '政府電子調達手続'

export type Mandate = {
  /** 委任者: the business and its representative. */
  delegator: { corporateNumber: string; businessName: string; representativeName: string }
  /** 受任者: the agent. */
  delegate: { name: string }
  /** 代理権: the procedures the agent may carry out. */
  authorities: string[]
  /** 有効期間. */
  validFrom: Date
  validTo: Date
  /** The mandate-handling business that issued it, and its reference number there. */
  providerId: string
  referenceNumber: string
}

/** Whether the mandate lets its agent act at `now`. */
export const mandateInForce = (mandate: Pick<Mandate, 'validFrom' | 'validTo'>, now: Date): boolean =>
  mandate.validFrom <= now && now <= mandate.validTo

export type MandateProblem =
  | { kind: 'other-delegator'; expected: string; presented: string }
  | { kind: 'other-delegate'; expected: string; presented: string }
  | { kind: 'not-yet-valid'; validFrom: Date }
  | { kind: 'expired'; validTo: Date }
  | { kind: 'no-procurement-authority'; authorities: string[] }

/**
 * Everything that keeps `mandate` from being this agent's mandate for this business now; empty
 * when it will do. The delegator is the business by its 法人番号 (a name can be written more than
 * one way); the delegate is the agent by name, as the mandate names a person.
 */
export const mandateProblems = (
  mandate: Mandate,
  expected: { corporateNumber: string; businessName: string; agentName: string },
  now: Date,
): MandateProblem[] => {
  const problems: MandateProblem[] = []
  if (mandate.delegator.corporateNumber !== expected.corporateNumber) {
    problems.push({
      kind: 'other-delegator',
      expected: `${expected.businessName}（法人番号 ${expected.corporateNumber}）`,
      presented: `${mandate.delegator.businessName}（法人番号 ${mandate.delegator.corporateNumber}）`,
    })
  }
  if (sameName(mandate.delegate.name) !== sameName(expected.agentName)) {
    problems.push({ kind: 'other-delegate', expected: expected.agentName, presented: mandate.delegate.name })
  }
  if (now < mandate.validFrom) problems.push({ kind: 'not-yet-valid', validFrom: mandate.validFrom })
  if (now > mandate.validTo) problems.push({ kind: 'expired', validTo: mandate.validTo })
  if (!mandate.authorities.includes(PROCUREMENT_AUTHORITY)) {
    problems.push({ kind: 'no-procurement-authority', authorities: mandate.authorities })
  }
  return problems
}

/** Names compared as people write them: the space between family and given name may be either width, or none. */
const sameName = (name: string): string => name.normalize('NFKC').replace(/\s+/g, '')
