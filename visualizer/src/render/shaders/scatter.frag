#version 300 es
// A round point; a selected one has a ring (dark on a light plot, light on a dark one).
precision mediump float;

in vec4 v_colour;
in float v_selected;
uniform vec3 u_ring;
out vec4 colour;

void main() {
  float r = length(gl_PointCoord - 0.5) * 2.0;
  if (r > 1.0) discard;
  if (v_selected > 0.5 && r > 0.6) {
    colour = vec4(u_ring, 1.0);
    return;
  }
  colour = vec4(v_colour.rgb, 0.85);
}
