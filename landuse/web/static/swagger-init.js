/* Swagger UI from vendored files (no CDN); POSTs carry the session's CSRF token. */
(function () {
  'use strict';
  var csrf = document.getElementById('swagger-ui').dataset.csrf;
  window.ui = SwaggerUIBundle({
    url: '/openapi.json', dom_id: '#swagger-ui', validatorUrl: null, deepLinking: true,
    requestInterceptor: function (req) { if (req.method && req.method.toUpperCase() !== 'GET') req.headers['X-CSRF-Token'] = csrf; return req; }
  });
})();
