// Passkeys (WebAuthn) for staff: adding one to the signed-in account on
// /account, and signing in with one on /signin. The server sends the
// options as JSON with base64url fields; browsers that cannot read that
// form themselves get the fields decoded here.

import { call } from './session.js';

/** supported tells whether this browser, on this page, can use passkeys. */
export const supported = () => !!(window.PublicKeyCredential && navigator.credentials && window.isSecureContext);

const fromB64 = (s) => {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
};
const toB64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function creationOptions(pk) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(pk);
  return { ...pk, challenge: fromB64(pk.challenge), user: { ...pk.user, id: fromB64(pk.user.id) },
    excludeCredentials: (pk.excludeCredentials || []).map((c) => ({ ...c, id: fromB64(c.id) })) };
}

function requestOptions(pk) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(pk);
  return { ...pk, challenge: fromB64(pk.challenge),
    allowCredentials: (pk.allowCredentials || []).map((c) => ({ ...c, id: fromB64(c.id) })) };
}

/** asJSON is a new credential or an assertion in the form the server reads. */
function asJSON(cred) {
  if (typeof cred.toJSON === 'function') return cred.toJSON();
  const r = cred.response;
  const response = { clientDataJSON: toB64(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toB64(r.attestationObject);
    if (r.getTransports) response.transports = r.getTransports();
  } else {
    response.authenticatorData = toB64(r.authenticatorData);
    response.signature = toB64(r.signature);
    if (r.userHandle) response.userHandle = toB64(r.userHandle);
  }
  return { id: cred.id, rawId: toB64(cred.rawId), type: cred.type, response,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {} };
}

/**
 * addPasskey makes a passkey on this device for the signed-in account,
 * named name. Resolves with {status, data}; status 0 when the person
 * cancelled the browser's dialog.
 */
export async function addPasskey(name) {
  const begun = await call('POST', '/api/auth/passkeys/begin', {});
  if (begun.status !== 200) return begun;
  let cred;
  try {
    cred = await navigator.credentials.create({ publicKey: creationOptions(begun.data.options.publicKey) });
  } catch (err) {
    return { status: 0, data: { code: err && err.name === 'InvalidStateError' ? 'exists' : 'cancelled' } };
  }
  return call('POST', '/api/auth/passkeys/finish', { ceremony: begun.data.ceremony, name, credential: asJSON(cred) });
}

/**
 * signInWithPasskey asks the browser for any passkey of this site and
 * signs in with it. Resolves with {status, data} (data: the "me" answer);
 * status 0 when the person cancelled.
 */
export async function signInWithPasskey() {
  const begun = await call('POST', '/api/auth/passkey/begin', {});
  if (begun.status !== 200) return begun;
  let cred;
  try {
    cred = await navigator.credentials.get({ publicKey: requestOptions(begun.data.options.publicKey) });
  } catch {
    return { status: 0, data: { code: 'cancelled' } };
  }
  return call('POST', '/api/auth/passkey/finish', { ceremony: begun.data.ceremony, credential: asJSON(cred) });
}
