#version 300 es
// One point of the embedding scatter plot: data coordinates mapped into the view box.
precision highp float;

in float a_x;
in float a_y;
in vec4 a_colour;
in float a_selected;

uniform vec4 u_view; // x0, y0, x1, y1 in data units
uniform float u_size; // point diameter in device pixels

out vec4 v_colour;
out float v_selected;

void main() {
  vec2 at = (vec2(a_x, a_y) - u_view.xy) / (u_view.zw - u_view.xy);
  gl_Position = vec4(at * 2.0 - 1.0, 0.0, 1.0);
  gl_PointSize = a_selected > 0.5 ? u_size * 1.8 : u_size;
  v_colour = a_colour;
  v_selected = a_selected;
}
