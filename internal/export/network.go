package export

import (
	"fmt"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
)

// A network berth looks up becomes data sources: the VPC, and each side's
// subnets as berth.yaml selects them (ids, tags, the default VPC's). berth
// tells public from private subnets by their route tables when berth.yaml
// names neither; Terraform has no such lookup, so those become variables.

// subnetChoice is how one side's subnets are found.
type subnetChoice int

const (
	subnetsGiven    subnetChoice = iota // ids or tags in berth.yaml
	subnetsNone                         // the default VPC has no private subnets
	subnetsVariable                     // for the user to fill in
)

func networkLookup(f *file, res engine.Resource) {
	r, ok := res.(*awsres.NetworkLookup)
	if !ok {
		f.fail(fmt.Errorf("is a %T, not a network lookup", res))
		return
	}
	vpc(f, r, "id")
	subnets(f, r, "public")
	subnets(f, r, "private")
}

func vpc(f *file, r *awsres.NetworkLookup, attr string) expr {
	return f.dataSource("aws_vpc", name(r.Address), attr, func(b *hclwrite.Body) {
		switch {
		case r.Default:
			b.SetAttributeRaw("default", boolean(true))
		case r.VPCID != "":
			b.SetAttributeRaw("id", str(r.VPCID))
		default:
			b.SetAttributeRaw("tags", stringMap(r.VPCTags))
		}
	})
}

func subnets(f *file, r *awsres.NetworkLookup, side string) (expr, subnetChoice) {
	ids, tagged := r.PublicSubnets, r.PublicSubnetTags
	if side == "private" {
		ids, tagged = r.PrivateSubnets, r.PrivateSubnetTags
	}
	inVPC := func(b *hclwrite.Body) {
		filter := b.AppendNewBlock("filter", nil).Body()
		filter.SetAttributeRaw("name", str("vpc-id"))
		filter.SetAttributeRaw("values", tuple(vpc(f, r, "id")))
	}
	switch {
	case len(ids) > 0:
		return strs(ids), subnetsGiven
	case len(tagged) > 0:
		return f.dataSource("aws_subnets", name(r.Address)+"_"+side, "ids", func(b *hclwrite.Body) {
			inVPC(b)
			b.AppendNewline()
			b.SetAttributeRaw("tags", stringMap(tagged))
		}), subnetsGiven
	case r.Default && side == "public":
		// The default VPC's default subnets, one per zone, are public.
		return f.dataSource("aws_subnets", name(r.Address), "ids", func(b *hclwrite.Body) {
			inVPC(b)
			b.AppendNewline()
			filter := b.AppendNewBlock("filter", nil).Body()
			filter.SetAttributeRaw("name", str("default-for-az"))
			filter.SetAttributeRaw("values", strs([]string{"true"}))
		}), subnetsGiven
	case r.Default:
		return tuple(), subnetsNone
	}
	if side == "public" {
		return f.variable("public_subnet_ids", "list(string)",
			"Public subnets of the VPC (two zones at least) for the load balancer; berth picks those whose route table sends 0.0.0.0/0 to an internet gateway.", nil), subnetsVariable
	}
	return f.variable("private_subnet_ids", "list(string)",
		"Private subnets of the VPC for the tasks and instances; empty puts them in the public subnets (Fargate tasks then get public addresses).",
		func(b *hclwrite.Body) { b.SetAttributeRaw("default", tuple()) }), subnetsVariable
}

// networkRef renders the lookup's outputs (awsres.NetworkLookup's doc
// lists them): tasks go to the private subnets when there are any.
func networkRef(f *file, res engine.Resource, key string) (expr, bool) {
	r := res.(*awsres.NetworkLookup)
	switch key {
	case "vpc_id":
		return vpc(f, r, "id"), false
	case "cidr":
		return vpc(f, r, "cidr_block"), false
	case "public_subnets":
		e, _ := subnets(f, r, "public")
		return e, true
	case "private_subnets":
		e, _ := subnets(f, r, "private")
		return e, true
	}
	public, _ := subnets(f, r, "public")
	private, choice := subnets(f, r, "private")
	switch {
	case key == "task_subnets" && choice == subnetsGiven:
		return private, true
	case key == "task_subnets" && choice == subnetsNone:
		return public, true
	case key == "task_subnets":
		return f.raw(fmt.Sprintf("length(%s) > 0 ? %s : %s", text(private), text(private), text(public))), true
	case key == "public_tasks" && choice == subnetsVariable:
		return f.raw(fmt.Sprintf("length(%s) == 0", text(private))), false
	case key == "public_tasks":
		return boolean(choice == subnetsNone), false
	}
	f.fail(fmt.Errorf("%s has no output %q", r.Address, key))
	return str(""), false
}
