// A stand-in for Code-OSS's out/server-main.js, so the benchmark tree boots like the real server:
// it answers GET /version with product.json's commit and prints the line VS Code waits for.
const http = require('node:http');
const path = require('node:path');

const product = require(path.join(__dirname, '..', 'product.json'));
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};

const server = http.createServer((req, res) => {
  if (req.url === '/version') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(product.commit);
    return;
  }
  res.writeHead(404);
  res.end();
});
server.listen(Number(flag('port', '0')), flag('host', '127.0.0.1'), () => {
  const { address, port } = server.address();
  console.log(`Server bound to ${address}:${port}`);
  console.log(`Extension host agent listening on ${port}`);
});
