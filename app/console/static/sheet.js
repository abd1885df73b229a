// The sign-in sheet's 打印 button; the Content-Security-Policy allows no inline script.
document.getElementById("print").addEventListener("click", () => window.print());
