from django import template

register = template.Library()


@register.inclusion_tag("components/state_badge.html")
def state_badge(question):
    return {"state": question.state, "label": question.get_state_display()}
