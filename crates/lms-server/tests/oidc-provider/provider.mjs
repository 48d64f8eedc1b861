/**
 * The OpenID provider the LMS single sign-on tests run: the certified
 * `oidc-provider` package on 127.0.0.1, with its accounts, clients and a
 * few switches taken from the environment. Installed and located by
 * `scripts/ensure-oidc-provider`; started by the API tests
 * (`tests/api/oidc_provider.rs`).
 *
 * Environment:
 *   ISSUER_PORT     port to listen on, on 127.0.0.1 (0 = any free port); the
 *                   issuer is http://127.0.0.1:<port>
 *   CLIENTS         JSON array of client metadata, e.g.
 *                   [{"client_id":"lms","client_secret":"s3cret",
 *                     "redirect_uris":["http://127.0.0.1:4000/sign-in/sso/callback"],
 *                     "post_logout_redirect_uris":["http://127.0.0.1:4000/sign-in?signed_out=1"]}]
 *                   (a public client has "token_endpoint_auth_method":"none")
 *   ACCOUNTS        JSON object, account id (the `sub`) -> claims, e.g.
 *                   {"ada":{"email":"ada@example.com","email_verified":true,"name":"Ada Byrne"}};
 *                   an account with "aud_override":"x" gets ID tokens whose
 *                   `aud` is "x" (re-signed with the provider's key), for the
 *                   wrong-audience tests
 *   ID_TOKEN_CLAIMS "1": email, email_verified and name are in the ID token
 *                   too, not only at the userinfo endpoint
 *
 * Behaviour: scopes openid, email and profile; PKCE (S256) required of every
 * client; an RS256 key made at start; consent granted without asking; a
 * sign-in page with one field, `login` (an account id), posted to
 * /interaction/<uid>/login; RP-initiated logout whose page is one form
 * (hidden `xsrf`, button `logout=yes`, "Sign out").
 *
 * Once listening it prints the one line `listening http://127.0.0.1:<port>`
 * on stdout; everything else goes to stderr. It stops on SIGTERM or SIGINT,
 * and when its stdin, if a pipe, closes (so a killed test leaves no
 * provider behind).
 */
import { randomBytes } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { createServer } from 'node:http';

import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider from 'oidc-provider';

// stdout carries the readiness line only: the provider's notices
// (console.info) and any other console output go to stderr.
console.log = console.info = console.debug = (...args) => console.error(...args);
process.stdout.on('error', () => {});

function json(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  try {
    return JSON.parse(raw);
  } catch (err) {
    console.error(`provider: ${name} is not JSON: ${err.message}`);
    process.exit(2);
  }
}

const port = Number(process.env.ISSUER_PORT ?? 0);
const clients = json('CLIENTS', []);
const accounts = json('ACCOUNTS', {});
const idTokenClaims = process.env.ID_TOKEN_CLAIMS === '1';
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`provider: ISSUER_PORT is not a port: ${process.env.ISSUER_PORT}`);
  process.exit(2);
}
if (!Array.isArray(clients) || accounts === null || typeof accounts !== 'object' || Array.isArray(accounts)) {
  console.error('provider: CLIENTS must be a JSON array and ACCOUNTS a JSON object');
  process.exit(2);
}

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const kid = randomBytes(8).toString('hex');
const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body>
${body}
</body>
</html>
`;

function configuration() {
  return {
    clients,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: !idTokenClaims,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Grant: 86400,
      Session: 86400,
    },
    async findAccount(_ctx, sub) {
      if (!Object.hasOwn(accounts, sub)) return undefined;
      const { aud_override: _, ...claims } = accounts[sub];
      return { accountId: sub, claims: async () => ({ ...claims, sub }) };
    },
    // Consent is never asked: whatever OpenID scopes and claims the client
    // requests are granted (the grant of the session, or a new one).
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
      const grant = (grantId && (await oidc.provider.Grant.find(grantId)))
        || new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
      if (oidc.requestParamClaims.size) grant.addOIDCClaims([...oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
    async renderError(ctx, out, error) {
      console.error(`provider: ${ctx.method} ${ctx.path}: ${out.error}: ${out.error_description ?? ''}`, error?.cause ?? '');
      ctx.type = 'html';
      ctx.body = page('Test provider – error', Object.entries(out)
        .map(([k, v]) => `<p><strong>${escape(k)}</strong>: ${escape(v)}</p>`).join('\n'));
    },
  };
}

async function logoutSource(ctx, form) {
  // The provider's form (action /session/end/confirm, hidden `xsrf`), with
  // the button inside it so that a plain form submission confirms.
  const button = '<button type="submit" name="logout" value="yes">Sign out</button>';
  ctx.body = page('Test provider – sign out',
    `<h1>Sign out of the test provider?</h1>\n${form.replace('</form>', `${button}</form>`)}`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = page('Test provider – signed out', '<h1>Signed out</h1>');
}

function loginForm(uid, { login = '', error } = {}) {
  return page('Test provider – sign in', `<h1>Sign in to the test provider</h1>
${error ? `<p role="alert">${escape(error)}</p>\n` : ''}<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Account</label>
<input type="text" id="login" name="login" value="${escape(login)}" autofocus>
<button type="submit">Sign in</button>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The issuer names the port, which the system may choose: listen first,
// then make the provider and hand it the requests.
let handle = (_req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = createServer((req, res) => handle(req, res));
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;
const provider = new Provider(issuer, configuration());

provider.on('server_error', (_ctx, err) => console.error('provider: server_error', err));

// Client metadata is otherwise checked on first use: a mistake in CLIENTS
// fails here, before the readiness line.
for (const { client_id: id } of clients) {
  try {
    await provider.Client.find(String(id));
  } catch (err) {
    console.error(`provider: client ${id}: ${err.error_description ?? err.message}`);
    process.exit(2);
  }
}

// The sign-in page and, if ever reached (prompt=consent), consent without a
// click.
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(ctx.path);
  if (!m) return next();
  const [, uid, login] = m;
  ctx.set('cache-control', 'no-store');
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) ctx.throw(400, 'this is not the interaction of this browser');
    if (!login && ctx.method === 'GET') {
      if (details.prompt.name === 'login') {
        ctx.type = 'html';
        ctx.body = loginForm(uid, { login: details.params.login_hint ?? '' });
        return;
      }
      if (details.prompt.name === 'consent') {
        const { Grant } = provider;
        const grant = (details.grantId && (await Grant.find(details.grantId)))
          || new Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
        const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
        if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
        if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
        const grantId = await grant.save();
        await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        ctx.respond = false;
        return;
      }
      ctx.throw(400, `unexpected prompt ${details.prompt.name}`);
    }
    if (login && ctx.method === 'POST') {
      if (details.prompt.name !== 'login') ctx.throw(400, 'this interaction does not ask for a sign-in');
      const accountId = (await readForm(ctx.req)).get('login')?.trim() ?? '';
      if (!Object.hasOwn(accounts, accountId)) {
        ctx.type = 'html';
        ctx.body = loginForm(uid, { login: accountId, error: `No account is called “${accountId}”.` });
        return;
      }
      await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId } }, { mergeWithLastSubmission: false });
      ctx.respond = false;
      return;
    }
    ctx.throw(405);
  } catch (err) {
    const status = err.status ?? err.statusCode ?? 500;
    console.error(`provider: ${ctx.method} ${ctx.path}: ${err.error_description ?? err.message}`);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = page('Test provider – error', `<p>${escape(err.error_description ?? err.message)}</p>`);
  }
});

// Wrong-audience hook: the ID token of an account with `aud_override` is
// re-signed, with the same key, with that audience.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.method !== 'POST' || ctx.path !== '/token' || ctx.status !== 200) return;
  const idToken = ctx.body?.id_token;
  if (typeof idToken !== 'string') return;
  const claims = decodeJwt(idToken);
  const aud = accounts[claims.sub]?.aud_override;
  if (!aud) return;
  const header = decodeProtectedHeader(idToken);
  ctx.body = {
    ...ctx.body,
    id_token: await new SignJWT({ ...claims, aud }).setProtectedHeader(header).sign(privateKey),
  };
});

handle = provider.callback();
process.stdout.write(`listening ${issuer}\n`);

function stop(why) {
  console.error(`provider: stopping (${why})`);
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
let stdinIsPipe = false;
try {
  const st = fstatSync(0);
  stdinIsPipe = st.isFIFO() || st.isSocket();
} catch {
  // no stdin at all
}
if (stdinIsPipe) {
  process.stdin.on('end', () => stop('stdin closed'));
  process.stdin.on('error', () => stop('stdin closed'));
  process.stdin.resume();
}
