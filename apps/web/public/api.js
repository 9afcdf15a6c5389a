// The gateway API: one principal per request (bearer token), an idempotency key on every mutation.
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.field = body?.field;
  }
}

function headersFor(method, token) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    headers['Idempotency-Key'] = crypto.randomUUID();
  }
  return headers;
}

async function errorOf(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { message: text.slice(0, 200) };
  }
  return new ApiError(res.status, body);
}

export async function api(method, path, body, token = sessionStorage.getItem('token')) {
  const res = await fetch(path, { method, headers: headersFor(method, token), body: method === 'GET' ? undefined : JSON.stringify(body ?? {}) });
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

const base64ToBytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

function filenameOf(res, fallback) {
  const cd = res.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="([^"]+)"/i.exec(cd);
  return plain ? plain[1] : fallback;
}

/**
 * Fetches an export and saves it. The export route answers either with the file itself or with
 * JSON { filename, contentType, content (base64) }; both become a Blob download.
 */
export async function download(path, token = sessionStorage.getItem('token')) {
  const res = await fetch(path, { headers: headersFor('GET', token) });
  if (!res.ok) throw await errorOf(res);
  let blob;
  let filename = filenameOf(res, path.split('/').pop().split('?')[0]);
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) {
    const file = await res.json();
    blob = new Blob([base64ToBytes(file.content)], { type: file.contentType });
    filename = file.filename ?? filename;
  } else {
    blob = await res.blob();
  }
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return { filename, bytes: blob.size };
}
