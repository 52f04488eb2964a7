// Starts Swagger UI on /docs from the vendored bundle (a file, not an inline script, so the CSP holds).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
