// The identity provider of the single sign-on tests: node-oidc-provider, a certified OpenID Connect
// implementation, on 127.0.0.1. tests/sso/provider.py starts it with one JSON argument:
//   {"clientId", "clientSecret", "redirectUris", "postLogoutRedirectUris"}
// listens on a port the system picks (no race with another process for a port chosen beforehand) and
// prints "ready <issuer>" once it does. Its login page (the development interaction) takes any
// password for a login that /test/users knows. Test knobs, under /test/ only:
//   PUT    /test/users/<sub>   body: the user's claims (groups, preferred_username, email...)
//   DELETE /test/users/<sub>   the user leaves: their provider session no longer finds them
//   POST   /test/jwks/impostor the keys endpoint publishes another key under the signing key's kid
//   GET    /test/discovery-reads  how often the discovery document was read
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const settings = JSON.parse(process.argv[2]);
const server = createServer();
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;
// A kid of its own per run: a later provider on a reused port must not match a key kept from an earlier one.
const KID = `test-key-${randomUUID()}`;
const SCOPES = 'openid email profile';

function rsaJwk({ isPrivate }) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = (isPrivate ? privateKey : publicKey).export({ format: 'jwk' });
  return { ...jwk, kid: KID, alg: 'RS256', use: 'sig' };
}

const users = new Map();
const signingKey = rsaJwk({ isPrivate: true });
const impostorKey = rsaJwk({ isPrivate: false });
let publishImpostor = false;
let discoveryReads = 0;

const provider = new Provider(issuer, {
  clients: [{
    client_id: settings.clientId,
    client_secret: settings.clientSecret,
    redirect_uris: settings.redirectUris,
    post_logout_redirect_uris: settings.postLogoutRedirectUris,
  }],
  jwks: { keys: [signingKey] },
  // Like a Keycloak client with a groups mapper: the claims ride in the ID token and at userinfo.
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username', 'groups'],
  },
  conformIdTokenClaims: false,
  // Every authorization request must carry a code challenge, and the token request its verifier.
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, sub) {
    const claims = users.get(sub);
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => ({ ...claims, sub }) };
  },
  // The dashboard is a first-party client: no consent page, the grant covers what it asks for.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const existing = session.grantIdFor(client.clientId);
    if (existing) return provider.Grant.find(existing);
    const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope(SCOPES);
    await grant.save();
    session.grantIdFor(client.clientId, grant.jti);
    return grant;
  },
});

provider.use(async (ctx, next) => {
  if (publishImpostor && ctx.path === '/jwks') {
    ctx.body = { keys: [impostorKey] };
    return;
  }
  if (ctx.path === '/.well-known/openid-configuration') discoveryReads += 1;
  if (ctx.path === '/auth') {
    // As Keycloak or Entra ID do, a removed user's sessions end with them: prompt=none answers login_required.
    const session = await provider.Session.get(ctx);
    if (session.accountId && !users.has(session.accountId)) await session.destroy();
  }
  await next();
});

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body ? JSON.parse(body) : {};
}

async function testKnob(req, res) {
  const path = new URL(req.url, issuer).pathname;
  const user = path.match(/^\/test\/users\/([^/]+)$/);
  if (user && req.method === 'PUT') {
    users.set(decodeURIComponent(user[1]), await readJson(req));
  } else if (user && req.method === 'DELETE') {
    users.delete(decodeURIComponent(user[1]));
  } else if (path === '/test/jwks/impostor' && req.method === 'POST') {
    publishImpostor = true;
  } else if (path === '/test/discovery-reads' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(discoveryReads));
    return;
  } else {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(204).end();
}

const callback = provider.callback();
server.on('request', (req, res) => (req.url.startsWith('/test/') ? testKnob(req, res) : callback(req, res)));
console.log(`ready ${issuer}`);
