import ccxt from 'ccxt';

// ccxt's binance client pointed at `botengine sim`: only its URLs change, spot only.
// `base` is 'http://127.0.0.1:9443' (or 'https://...' when the sim serves TLS).
export async function connectToSim(base, apiKey, secret) {
  const exchange = new ccxt.pro.binance({
    apiKey,
    secret,
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] } },
  });
  const ws = base.replace(/^http/, 'ws');
  const rewrite = (url) => url
    .replace('https://api.binance.com', base)
    .replace('wss://stream.binance.com:9443', ws)
    .replace('wss://ws-api.binance.com:443', ws);
  const walk = (urls) => Object.fromEntries(Object.entries(urls).map(
    ([key, url]) => [key, typeof url === 'string' ? rewrite(url) : walk(url)]));
  exchange.urls.api = walk(exchange.urls.api);
  // ccxt opens plain ws:// connections only through an http.Agent it loads on request.
  if (ws.startsWith('ws://')) await exchange.loadHttpProxyAgent();
  return exchange;
}
