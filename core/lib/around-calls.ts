/**
 * A port with some of its calls wrapped: each named method of `port` runs through `around`, which
 * is given the method's name and a function making the original call. The rest of the port is
 * left as it is. Metrics (timing) and traces (spans) wrap the neighbours' ports this way.
 */
export const aroundCalls = <P extends object>(
  port: P,
  methods: readonly (keyof P & string)[],
  around: (name: string, call: () => unknown) => unknown,
): P => {
  const wrapped = { ...port }
  for (const name of methods) {
    const method = port[name] as unknown as (...args: unknown[]) => unknown
    ;(wrapped as Record<string, unknown>)[name] = (...args: unknown[]) =>
      around(name, () => method.apply(port, args))
  }
  return wrapped
}
