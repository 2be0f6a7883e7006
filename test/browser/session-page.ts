/*
 * Runs in the browser, on another origin than the API: what an app does with sessions.
 * Every call to the API sends credentials (`credentials: 'include'`), so the HttpOnly
 * cookie getSession sets is stored and sent, which scripts never see.
 */

/** getSession with the bearer token: the answer's status (the cookie itself stays hidden). */
async function startSession(api: string, token: string): Promise<{ status: number; cookieVisible: boolean }> {
  const response = await fetch(`${api}/v1/files/session`, { headers: { authorization: `Bearer ${token}` }, credentials: 'include' });
  return { status: response.status, cookieVisible: document.cookie.includes('token=') };
}

async function endSession(api: string): Promise<number> {
  const response = await fetch(`${api}/v1/files/session`, { method: 'DELETE', credentials: 'include' });
  return response.status;
}

/** Shows `<img src>` and tells whether it loaded: its natural width, 0 when it failed. */
function showImage(src: string): Promise<number> {
  return new Promise((resolve) => {
    const image = document.createElement('img');
    image.onload = () => resolve(image.naturalWidth);
    image.onerror = () => resolve(0);
    image.src = src;
    document.body.append(image);
  });
}

/** A request with the cookie only (no Authorization header): its status, or -1 when CORS hid the answer. */
async function callWithCookie(api: string, method: string, path: string): Promise<number> {
  try {
    const response = await fetch(`${api}${path}`, { method, credentials: 'include' });
    return response.status;
  } catch {
    return -1;
  }
}

Object.assign(globalThis, { startSession, endSession, showImage, callWithCookie });
