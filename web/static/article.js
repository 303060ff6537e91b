// Bring the cited span into view.
const mark = document.getElementById("highlight");
if (mark) mark.scrollIntoView({ block: "center" });
