// Starts Swagger UI on /docs with mayfly's OpenAPI document (a file, not an inline script: the site's CSP allows only 'self').
(() => {
  // Swagger UI's own dark theme, following the system setting (and its changes).
  var dark = window.matchMedia('(prefers-color-scheme: dark)');
  var follow = () => document.documentElement.classList.toggle('dark-mode', dark.matches);
  follow();
  dark.addEventListener('change', follow);
  window.ui = window.SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    layout: 'BaseLayout',
    presets: [window.SwaggerUIBundle.presets.apis],
    plugins: [window.SwaggerUIBundle.plugins.DownloadUrl],
    validatorUrl: null,
    queryConfigEnabled: false,
    tryItOutEnabled: false,
    displayRequestDuration: true,
    showExtensions: true,
    defaultModelsExpandDepth: 0,
  });
})();
