// Starts Swagger UI on /schema (a file, not inline, so the Content-Security-Policy can forbid inline script).
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger");
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    dom_id: "#swagger",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
  });
});
