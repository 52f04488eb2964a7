// Starts Swagger UI on /docs from the vendored bundle (a file, not an inline script, so the CSP holds).
// No deep links: they put a link inside each operation's button (nested interactive controls, an axe violation).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: false });
});
