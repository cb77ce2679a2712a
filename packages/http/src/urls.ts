/**
 * Management URLs (the Durable Functions "HTTP management payload").
 * Built on the configured public base URL, or on the request's scheme, host
 * and mount path; they carry the request's `taskHub`, `connection` and `code`
 * so a poller needs nothing else. Every id and value is percent-encoded; the
 * `{eventName}` and `{text}` placeholders stay literal, as in the API documentation.
 * A key sent in the `x-functions-key` header is never copied into a URL.
 */

export interface ManagementPayload {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  purgeHistoryDeleteUri: string;
  rewindPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

export interface UrlParams {
  taskHub?: string | undefined;
  connection?: string | undefined;
  code?: string | undefined;
}

/** `taskHub=..&connection=..&code=..` for the parameters present, in the order the API documentation shows. */
export function commonQuery(params: UrlParams): string {
  const parts: string[] = [];
  if (params.taskHub !== undefined) parts.push(`taskHub=${encodeURIComponent(params.taskHub)}`);
  if (params.connection !== undefined) parts.push(`connection=${encodeURIComponent(params.connection)}`);
  if (params.code !== undefined) parts.push(`code=${encodeURIComponent(params.code)}`);
  return parts.join('&');
}

/**
 * @param root the absolute URL of a Durable Functions API mount, e.g.
 *   `http://localhost:7071/runtime/webhooks/durabletask`
 */
export function managementPayload(root: string, instanceId: string, params: UrlParams): ManagementPayload {
  const instance = `${root}/instances/${encodeURIComponent(instanceId)}`;
  const common = commonQuery(params);
  const only = common === '' ? '' : `?${common}`;
  const after = common === '' ? '' : `&${common}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}${only}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}${only}`,
    terminatePostUri: `${instance}/terminate?reason={text}${after}`,
    purgeHistoryDeleteUri: `${instance}${only}`,
    rewindPostUri: `${instance}/rewind?reason={text}${after}`,
    suspendPostUri: `${instance}/suspend?reason={text}${after}`,
    resumePostUri: `${instance}/resume?reason={text}${after}`,
  };
}
