// The simulator's control API (/__sim/…): what RingCentral and the customers would do.

export type SimulatorControl = <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;

export function simulatorControl(simulatorUrl: string): SimulatorControl {
  return async (method, path, body) => {
    const response = await fetch(`${simulatorUrl}/__sim/${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`simulator ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as never;
  };
}
